class AddSkuToProducts < ActiveRecord::Migration[7.1]
  def up
    add_column :products, :sku, :string
    add_index :products, :sku, unique: true
  end

  def down
    remove_index :products, :sku
    remove_column :products, :sku
  end
end
